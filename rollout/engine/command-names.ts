/** The commands that name a ring, and those that do not: the one list the CLI, the page and the API read. */
export const RING_COMMANDS = ['promote', 'approve'] as const;
export const ROLLOUT_COMMANDS = ['pause', 'resume', 'rollback', 'override-age'] as const;
/** Commands that set aside a rule the team agreed on: an admin's, not any release manager's. */
export const ADMIN_COMMANDS: readonly CommandName[] = ['override-age'];
export type RingCommandName = (typeof RING_COMMANDS)[number];
export type CommandName = (typeof ROLLOUT_COMMANDS)[number] | RingCommandName;

export function isCommandName(name: string): name is CommandName {
  return (ROLLOUT_COMMANDS as readonly string[]).includes(name) || isRingCommand(name);
}

export function isRingCommand(name: string): name is RingCommandName {
  return (RING_COMMANDS as readonly string[]).includes(name);
}


export function needsAdmin(name: CommandName): boolean {
  return ADMIN_COMMANDS.includes(name);
}
