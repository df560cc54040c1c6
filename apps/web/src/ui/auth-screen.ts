/**
 * Register / log in (RF01, RF02). Checks what it can before a round trip (the server's own
 * rules, see app/usernames.ts) and shows every server answer as words, next to the field it
 * is about when there is one.
 */
import { useRef, useState, type FormEvent } from 'react';
import type { AppModel, Snapshot } from '../app/app-model.ts';
import { describeError, errorCode } from '../app/error-words.ts';
import {
  PASSWORD_MIN,
  passwordProblem,
  USERNAME_MAX,
  USERNAME_MIN,
  usernameProblem,
} from '../app/usernames.ts';
import { EraseData } from './erase-data.ts';
import { Field } from './field.ts';
import { h } from './h.ts';

type Mode = 'register' | 'login';

interface Problems {
  username?: string | undefined;
  password?: string | undefined;
  confirm?: string | undefined;
}

/** Server codes that belong to one field rather than to the whole form. */
const FIELD_OF_CODE: Record<string, keyof Problems> = {
  USERNAME_TAKEN: 'username',
  INVALID_USERNAME: 'username',
  WEAK_PASSWORD: 'password',
};

function check(mode: Mode, username: string, password: string, confirm: string): Problems {
  return {
    username: usernameProblem(username),
    password: passwordProblem(password),
    confirm:
      mode === 'register' && confirm !== password ? 'The passwords do not match.' : undefined,
  };
}

export function AuthScreen({ model, snap }: { model: AppModel; snap: Snapshot }) {
  const [mode, setMode] = useState<Mode>(snap.deviceUsername ? 'login' : 'register');
  const [username, setUsername] = useState(snap.deviceUsername ?? '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [serverProblems, setServerProblems] = useState<Problems>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const refs = {
    username: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };

  const local = submitted ? check(mode, username, password, confirm) : {};
  const problems: Problems = {
    username: local.username ?? serverProblems.username,
    password: local.password ?? serverProblems.password,
    confirm: local.confirm,
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setServerProblems({});
    setFormError(undefined);
    const found = check(mode, username, password, confirm);
    const first = (['username', 'password', 'confirm'] as const).find((k) => found[k]);
    if (first) {
      refs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      if (mode === 'register') await model.register(username, password);
      else await model.login(username, password);
    } catch (err) {
      const field = FIELD_OF_CODE[errorCode(err) ?? ''];
      if (field) {
        setServerProblems({ [field]: describeError(err) });
        refs[field].current?.focus();
      } else {
        setFormError(describeError(err));
      }
      setBusy(false);
    }
  };

  const switchMode = () => {
    setMode(mode === 'register' ? 'login' : 'register');
    setSubmitted(false);
    setServerProblems({});
    setFormError(undefined);
  };

  const registering = mode === 'register';
  return h(
    'main',
    { className: 'auth' },
    h('p', { className: 'brand brand--large' }, 'Susurro'),
    h('p', { className: 'auth__tagline' }, 'Private messages, end-to-end encrypted.'),
    h(
      'form',
      { className: 'card', noValidate: true, onSubmit: (e) => void submit(e), 'aria-busy': busy },
      h('h1', null, registering ? 'Create your account' : 'Log in'),
      snap.signedOutReason
        ? h('p', { className: 'notice', role: 'alert' }, snap.signedOutReason)
        : null,
      h(Field, {
        id: 'auth-username',
        label: 'Username',
        value: username,
        onChange: setUsername,
        autoComplete: 'username',
        hint: registering
          ? `${USERNAME_MIN}–${USERNAME_MAX} characters: letters, digits and underscores.`
          : undefined,
        error: problems.username,
        inputRef: refs.username,
      }),
      h(Field, {
        id: 'auth-password',
        label: 'Password',
        type: 'password',
        value: password,
        onChange: setPassword,
        autoComplete: registering ? 'new-password' : 'current-password',
        hint: registering ? `At least ${PASSWORD_MIN} characters.` : undefined,
        error: problems.password,
        inputRef: refs.password,
      }),
      registering
        ? h(Field, {
            id: 'auth-confirm',
            label: 'Repeat password',
            type: 'password',
            value: confirm,
            onChange: setConfirm,
            autoComplete: 'new-password',
            error: problems.confirm,
            inputRef: refs.confirm,
          })
        : null,
      formError ? h('p', { className: 'form-error', role: 'alert' }, formError) : null,
      h(
        'button',
        { type: 'submit', className: 'button button--primary button--wide', disabled: busy },
        busy
          ? registering
            ? 'Creating your keys…'
            : 'Logging in…'
          : registering
            ? 'Create account'
            : 'Log in',
      ),
      h(
        'p',
        { className: 'auth__switch' },
        registering ? 'Already have an account? ' : 'New to Susurro? ',
        h(
          'button',
          { type: 'button', className: 'link-button', onClick: switchMode },
          registering ? 'Log in' : 'Create an account',
        ),
      ),
    ),
    snap.deviceUsername
      ? h(
          'section',
          { className: 'card card--quiet', 'aria-label': "This browser's data" },
          h(
            'p',
            null,
            'This browser holds the keys and messages of ',
            h('strong', null, snap.deviceUsername),
            '. To use another account here, erase them first.',
          ),
          h(EraseData, { model, owner: snap.deviceUsername }),
        )
      : null,
    h(
      'p',
      { className: 'auth__fine' },
      'Your keys are created in this browser and never leave it. The server only relays ' +
        'encrypted messages.',
    ),
  );
}
