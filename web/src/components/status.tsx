import type { ReactNode } from 'react';
import type { DeploymentHealth } from '../../../src/sdk/browser.js';

const LABELS: Record<DeploymentHealth['status'], string> = { ok: 'Healthy', warning: 'Warning', critical: 'Critical', idle: 'Idle' };

/** A status as colour and words, so it reads without colour too. */
export function StatusBadge({ status, title }: { status: DeploymentHealth['status']; title?: string }) {
  return (
    <span className={`badge status-${status}`} title={title}>
      <span className="dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}

export function Pill({ children, tone = 'neutral', title }: { children: ReactNode; tone?: 'neutral' | 'good' | 'warn' | 'bad' | 'info'; title?: string }) {
  return (
    <span className={`pill pill-${tone}`} title={title}>
      {children}
    </span>
  );
}
