/** In-app toasts: a short, bounded queue; each one leaves by itself after a while. */
import { MAX_TOASTS, TOAST_DURATION_MS } from '../limits.ts';

export interface Toast {
  readonly id: number;
  readonly text: string;
  readonly tone: 'info' | 'warning';
  /** The conversation the toast is about (it offers to open it). */
  readonly peer?: string;
}

export class ToastQueue {
  private items: readonly Toast[] = [];
  private seq = 0;

  constructor(private readonly onChange: () => void) {}

  get current(): readonly Toast[] {
    return this.items;
  }

  show(toast: Omit<Toast, 'id'>): void {
    const id = ++this.seq;
    this.items = [...this.items, { ...toast, id }].slice(-MAX_TOASTS);
    setTimeout(() => this.dismiss(id), TOAST_DURATION_MS);
    this.onChange();
  }

  dismiss(id: number): void {
    if (!this.items.some((t) => t.id === id)) return;
    this.items = this.items.filter((t) => t.id !== id);
    this.onChange();
  }

  dismissAbout(peer: string): void {
    if (!this.items.some((t) => t.peer === peer)) return;
    this.items = this.items.filter((t) => t.peer !== peer);
    this.onChange();
  }

  clear(): void {
    this.items = [];
    this.onChange();
  }
}
