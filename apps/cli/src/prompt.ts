/** Reading secrets without echo (TTY) or from stdin (scripts); never from argv. */
import { createInterface } from 'node:readline';

export async function readStdinLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

export function ask(question: string, { hidden = false } = {}): Promise<string> {
  if (!process.stdin.isTTY) return readStdinLine();
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (hidden) {
      // Swallow the echo of typed characters while keeping the prompt itself visible.
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(
        rl,
      );
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        write(s.startsWith(question) ? question : '');
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export async function readPassword(label = 'Password: '): Promise<string> {
  const password = await ask(label, { hidden: true });
  if (!password) throw new Error('no password given (type it at the prompt or pipe it on stdin)');
  return password;
}
