export * from './event-accumulator';
export * from './kafka-event-publisher';
export * from './kafka-event-subscriber';
export * from './kafka-log-creator';
export * from './kafka-topics';
export * from './kafka-log-reader';
export * from './kafkajs-request-queue';
