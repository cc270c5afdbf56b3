import { describeSigningKeyStoreContract } from '../keys/signing-key-store.contract';
import { MemorySigningKeyStore } from './memory-signing-key-store';

describeSigningKeyStoreContract('MemorySigningKeyStore', async () => ({ store: new MemorySigningKeyStore() }), { concurrentLock: true });
