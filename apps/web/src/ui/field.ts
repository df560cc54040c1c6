/** A labelled form field whose hint and error are tied to the input for assistive tech. */
import type { Ref } from 'react';
import { h } from './h.ts';

export interface FieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'password';
  hint?: string;
  error?: string | undefined;
  autoComplete?: string;
  inputRef?: Ref<HTMLInputElement>;
}

export function Field(p: FieldProps) {
  const hintId = p.hint ? `${p.id}-hint` : undefined;
  const errorId = p.error ? `${p.id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return h(
    'div',
    { className: 'field' },
    h('label', { htmlFor: p.id }, p.label),
    h('input', {
      id: p.id,
      ref: p.inputRef,
      type: p.type ?? 'text',
      value: p.value,
      onChange: (e) => p.onChange(e.target.value),
      autoComplete: p.autoComplete,
      autoCapitalize: 'none',
      spellCheck: false,
      required: true,
      'aria-invalid': p.error ? true : undefined,
      'aria-describedby': describedBy,
    }),
    p.error ? h('p', { id: errorId, className: 'field__error' }, p.error) : null,
    p.hint ? h('p', { id: hintId, className: 'field__hint' }, p.hint) : null,
  );
}
