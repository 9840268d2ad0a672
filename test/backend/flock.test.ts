import { backendConformance } from './conformance.js';

backendConformance('flock');
