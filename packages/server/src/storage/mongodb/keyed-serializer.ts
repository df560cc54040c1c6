const ignore = (): void => undefined;

/**
 * Runs tasks that share a key one after another, in the order `run` was called, even when the
 * caller does not wait for one before starting the next; tasks with different keys run
 * concurrently. A task that fails does not stop the ones queued behind it.
 */
export class KeyedSerializer {
  /** Per key, a promise that settles when the last task queued for it has settled. */
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(ignore, ignore);
    this.#tails.set(key, tail);
    void tail.then(() => {
      // Forget idle keys, so the map holds only keys with work in flight.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Settles once every task queued so far has settled. */
  async drain(): Promise<void> {
    await Promise.all(this.#tails.values());
  }
}
