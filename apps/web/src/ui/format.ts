/** Dates and times as people read them, in the browser's locale. */
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** "14:05" today, "3 Mar 14:05" before. */
export function messageTime(at: number, now = new Date()): string {
  const d = new Date(at);
  return sameDay(d, now) ? timeFormat.format(d) : `${dayFormat.format(d)} ${timeFormat.format(d)}`;
}

/** "14:05" today, "3 Mar" before (the conversation list has little room). */
export function listTime(at: number, now = new Date()): string {
  const d = new Date(at);
  return sameDay(d, now) ? timeFormat.format(d) : dayFormat.format(d);
}

export const fullTime = (at: number): string => fullFormat.format(new Date(at));
