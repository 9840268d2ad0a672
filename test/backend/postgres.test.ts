import { backendConformance } from './conformance.js';

backendConformance('postgres');
