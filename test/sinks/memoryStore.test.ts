import { MemoryStore } from '../../src/sinks/outbox/memoryStore.js';
import { storeSuite } from './store.suite.js';

storeSuite('MemoryStore', (max) => new MemoryStore(max));
