/**
 * The real-time link (RF04): a WebSocket authenticated by a single-use ticket, kept alive with
 * heartbeats and re-established with exponential backoff and full jitter. Isomorphic: the
 * WebSocket constructor is a parameter (the browser's, or the `ws` package's in Node).
 */
import type { HttpApi } from '../api/http-api.ts';
import type { ClientFrame, ServerFrame } from '../api/types.ts';
import { isClientError } from '../errors.ts';
import {
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
} from '../limits.ts';

export type ConnectionState = 'offline' | 'connecting' | 'connected' | 'reconnecting';

/** The subset of the WHATWG WebSocket we use; `ws` in Node implements it too. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Server close codes that mean "do not come back on your own" (see the server's CLOSE_CODES). */
const CLOSE_REPLACED = 4001;
const CLOSE_SESSION_ENDED = 4003;
const OPEN = 1;

export interface ConnectionOptions {
  api: HttpApi;
  WebSocket: WebSocketConstructor;
  onFrame: (frame: ServerFrame) => void;
  onState: (state: ConnectionState, detail?: { code?: string | number; reason?: string }) => void;
  /** For tests: jitter source in [0, 1). */
  random?: () => number;
}

export class RealtimeConnection {
  private socket: WebSocketLike | undefined;
  private state: ConnectionState = 'offline';
  private running = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;

  constructor(private readonly options: ConnectionOptions) {}

  get connectionState(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'client closing');
    this.setState('offline');
  }

  /** Sends a frame if connected; returns false otherwise (the caller keeps it queued). */
  send(frame: ClientFrame): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private setState(
    state: ConnectionState,
    detail?: { code?: string | number; reason?: string },
  ): void {
    if (state === this.state && !detail) return;
    this.state = state;
    this.options.onState(state, detail);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let url: string;
    try {
      const { ticket, path } = await this.options.api.wsTicket();
      // `path` is this server's (/v1/ws) or, behind API Gateway, an absolute ws(s):// URL.
      const base = new URL(path, this.options.api.baseUrl);
      if (base.protocol === 'https:') base.protocol = 'wss:';
      else if (base.protocol === 'http:') base.protocol = 'ws:';
      base.searchParams.set('ticket', ticket);
      url = base.toString();
    } catch (e) {
      if (isClientError(e) && e.source === 'server' && e.status === 401) {
        this.running = false;
        this.setState('offline', {
          code: e.code,
          reason: 'the server no longer accepts our login',
        });
        return;
      }
      this.scheduleReconnect();
      return;
    }
    if (!this.running) return;
    const socket = new this.options.WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.startHeartbeat();
      // Say hello at once: behind API Gateway the server hears of a socket only through its
      // frames, and this first ping is what starts the backlog delivery there.
      this.send({ v: 1, type: 'ping' });
      this.setState('connected');
    };
    socket.onmessage = (ev) => {
      this.lastHeard = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return; // a server that speaks garbage is treated like silence
      }
      this.options.onFrame(frame);
    };
    socket.onerror = () => {
      // onclose follows and decides what to do.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.stopHeartbeat();
      if (!this.running) return;
      if (ev.code === CLOSE_REPLACED || ev.code === CLOSE_SESSION_ENDED) {
        this.running = false;
        this.setState('offline', { code: ev.code, reason: ev.reason });
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    this.setState('reconnecting');
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    const delay = Math.round((this.options.random ?? Math.random)() * ceiling);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS) {
        // A dead link may never finish a closing handshake: drop it and reconnect now.
        const dead = this.socket;
        this.socket = undefined;
        this.stopHeartbeat();
        dead?.close(4000, 'heartbeat timeout');
        this.scheduleReconnect();
        return;
      }
      this.send({ v: 1, type: 'ping' });
    }, HEARTBEAT_INTERVAL_MS);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
