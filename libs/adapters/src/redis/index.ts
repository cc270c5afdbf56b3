export { RedisTtlStore, type RedisTtlStoreOptions } from './redis-ttl-store';
