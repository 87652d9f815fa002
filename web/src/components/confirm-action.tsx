import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { describeError } from '../api.js';

interface Props {
  /** The button that opens the dialog. */
  label: string;
  title: string;
  /** What will happen, in words, before anyone confirms. */
  description: ReactNode;
  confirmLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  /** Why the control is disabled (a role that cannot, nothing to act on). */
  disabledReason?: string;
  /** Extra fields of the action (a version, a weight); rendered above the reason. */
  children?: ReactNode;
  /** Whether the extra fields are ready; the confirm button waits for them. */
  ready?: boolean;
  onConfirm(reason: string): Promise<unknown>;
}

/**
 * A button that opens a modal confirmation saying what will happen and asking for a reason (it
 * goes into the audit trail). Escape or Cancel closes it; focus returns to the button.
 */
export function ConfirmAction({ label, title, description, confirmLabel = label, danger, disabled, disabledReason, children, ready = true, onConfirm }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      setOpen(false);
      setReason('');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={danger ? 'danger' : undefined} disabled={disabled} title={disabled ? disabledReason : undefined} aria-describedby={disabled && disabledReason ? `${id}-why` : undefined} onClick={() => setOpen(true)}>
        {label}
      </button>
      {disabled && disabledReason && (
        <span id={`${id}-why`} className="sr-only">
          {disabledReason}
        </span>
      )}
      <dialog ref={dialog} aria-labelledby={`${id}-title`} aria-describedby={`${id}-what`} onClose={() => setOpen(false)}>
        {open && (
          <form onSubmit={submit} className="dialog-form">
            <h2 id={`${id}-title`}>{title}</h2>
            <div id={`${id}-what`} className="what">
              {description}
            </div>
            {children}
            <label htmlFor={`${id}-reason`}>Reason (recorded in the audit trail)</label>
            <textarea id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={1000} rows={2} autoFocus />
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <div className="buttons">
              <button type="button" onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy || !ready || reason.trim() === ''}>
                {busy ? 'Working…' : confirmLabel}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
