import type { Server } from 'node:http';

export function serveWeb(root: string, port?: number, host?: string): Promise<{ server: Server; url: string }>;
