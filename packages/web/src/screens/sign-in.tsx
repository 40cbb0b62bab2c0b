import { useNavigate, useSearch } from '@tanstack/react-router';
import { MessageSquareText } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useSignIn } from '../auth';

export function SignIn() {
  const signIn = useSignIn();
  const navigate = useNavigate();
  const search = useSearch({ from: '/signin' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate(
      { email: email.trim(), password },
      { onSuccess: () => void navigate({ to: search.next ?? '/' }) },
    );
  };

  const error = signIn.error;
  let message: string | null = null;
  if (error instanceof ApiError) {
    if (error.status === 401) message = 'That email and password do not match an account.';
    else if (error.status === 429) message = `Too many attempts. ${error.problem.detail ?? 'Wait a few minutes and try again.'}`;
    else message = error.message;
  } else if (error) message = 'Textback could not be reached. Check that the server is running.';

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <MessageSquareText size={20} />
          </span>
          Textback
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">Answer your customers’ texts, missed calls and leads.</p>
        <label className="field">
          <span>Email</span>
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {message && (
          <p className="form-error" role="alert">
            {message}
          </p>
        )}
        <button className="btn primary wide" type="submit" disabled={signIn.isPending || !email || !password}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">
          First time? The server printed the owner’s email and a one-time password when it started (<code>npm start</code>).
        </p>
      </form>
    </main>
  );
}
