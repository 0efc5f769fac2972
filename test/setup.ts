import { setDefaultTimeout } from "bun:test";

// Tests start real servers and workers; bound each one generously so a slow CI machine stays
// green while a hang still fails (every test awaits events, none sleeps).
setDefaultTimeout(30_000);
