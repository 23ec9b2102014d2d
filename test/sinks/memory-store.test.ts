import { MemoryStore } from '../../src/sinks/outbox/memory-store.js';
import { storeSuite } from './store.suite.js';

storeSuite('MemoryStore', (max) => new MemoryStore(max));
