import { closeSync, openSync, readSync } from 'node:fs';
import { InputError, readYaml, YAML_LIMITS } from '../config/validation.ts';
import { parseAnsibleIni } from './ansible-ini.ts';
import { parseAnsibleYaml } from './ansible-yaml.ts';
import { resolveInventory, type Inventory } from './inventory.ts';
import { isPatchlabInventory, parsePatchlabYaml } from './patchlab-yaml.ts';

/**
 * Reads an inventory by its name and content, as Ansible chooses its parser: a `.yml`, `.yaml`
 * or `.json` file is YAML (patchlab's format when its top-level keys are `hosts`, `groups`,
 * `defaults`; Ansible's otherwise), anything else is Ansible INI. Pure.
 */
export function parseInventory(text: string, file: string): Inventory {
  if (/\.(ya?ml|json)$/i.test(file)) {
    const data = readYaml(text, file);
    return resolveInventory(isPatchlabInventory(data) ? parsePatchlabYaml(data, file) : parseAnsibleYaml(data, file));
  }
  return resolveInventory(parseAnsibleIni(text, file));
}

export function loadInventory(file: string): Inventory {
  return parseInventory(readText(file), file);
}

/** An inventory is written by hand: the YAML bound holds for INI too, and /dev/zero is refused, not read whole. */
function readText(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new InputError(file, [`cannot read the inventory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  try {
    const chunk = Buffer.alloc(YAML_LIMITS.bytes + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < chunk.length; length += n) n = readSync(fd, chunk, length, chunk.length - length, null);
    if (length > YAML_LIMITS.bytes) throw new InputError(file, [`(top level): expected at most ${YAML_LIMITS.bytes} bytes (an inventory is far smaller)`]);
    return chunk.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
