export { MongoStorage, type MongoStorageOptions } from './mongo-storage.ts';
