import { type FormEvent, useState } from 'react';

/** The token login page shown when the server runs with --auth. */
export function Login({ onToken, problem }: { onToken(token: string): void; problem: string | null }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return (
    <main id="main" className="login">
      <form onSubmit={submit} className="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Sextant</h1>
        <p className="muted">This server requires a bearer token. Create one with <code>sextant tokens create --name NAME --role viewer</code>.</p>
        <label htmlFor="token">Token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellCheck={false} placeholder="sxt_…" value={token} onChange={(e) => setToken(e.target.value)} required />
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="primary">
          Sign in
        </button>
        <p className="muted small">The token stays in this browser tab only.</p>
      </form>
    </main>
  );
}
