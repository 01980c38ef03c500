import type { CommandName } from '../../rollout/engine/command-names.ts';

/** How the page names each command: its button, the note once done, and how loud the button is. */
export const COMMAND_LABELS: Readonly<Record<CommandName, { button: string; done: string; style: '' | 'primary' | 'danger' }>> = {
  approve: { button: 'Approve', done: 'Approved', style: 'primary' },
  promote: { button: 'Promote to', done: 'Promoted', style: 'primary' },
  pause: { button: 'Pause', done: 'Paused', style: '' },
  resume: { button: 'Resume', done: 'Resumed', style: 'primary' },
  rollback: { button: 'Roll back', done: 'Rollback started', style: 'danger' },
  'override-age': { button: 'Override minimum age', done: 'Minimum age overridden', style: 'danger' },
};
