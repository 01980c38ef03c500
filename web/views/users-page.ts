import type { User } from '../auth/user-store.ts';
import { ROLE_LABELS, ROLES, type Role } from '../auth/roles.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { dateTime } from './format.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export interface UsersPageOptions {
  users: readonly User[];
  viewer: Viewer;
  flash?: { kind: 'info' | 'error'; text: string };
  /** Put back into the add form after a refusal. */
  draft?: { name: string; role: Role };
}

function roleSelect(selected: Role, id: string): SafeHtml {
  return html`<select name="role" id="${id}">${ROLES.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${ROLE_LABELS[r]}</option>`)}</select>`;
}

/** Admins add users, change roles and remove users here; the first admin comes from the CLI. Pure. */
export function usersPage({ users, viewer, flash, draft }: UsersPageOptions): SafeHtml {
  const body = html`<h1>Users</h1>
${flash ? html`<p class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</p>` : ''}
<section class="card">
  <div class="table-wrap"><table class="list users">
    <thead><tr><th>Name</th><th>Role</th><th class="wide">Since</th><th></th></tr></thead>
    <tbody>${users.map(
      (u) => html`<tr id="user-${u.name}">
      <td><b>${u.name}</b>${u.name === viewer.name ? html` <small>(you)</small>` : ''}</td>
      <td><form method="post" action="${path`/users/${u.name}/role`}" class="inline">${csrfField(viewer)}${roleSelect(u.role, `role-${u.name}`)} <button type="submit">Change</button></form></td>
      <td class="wide">${dateTime(u.createdAt)}</td>
      <td><form method="post" action="${path`/users/${u.name}/remove`}" class="inline">${csrfField(viewer)}<button type="submit" class="danger">Remove</button></form></td>
    </tr>`,
    )}</tbody>
  </table></div>
</section>
<section class="card">
  <h2>Add a user</h2>
  <form method="post" action="/users" class="stack narrow">
    ${csrfField(viewer)}
    <label>Name <input name="name" required maxlength="32" autocapitalize="none" spellcheck="false" value="${draft?.name ?? ''}"></label>
    <label>Role ${roleSelect(draft?.role ?? 'viewer', 'new-role')}</label>
    <label>Password <input name="password" type="password" required minlength="10" maxlength="1024" autocomplete="new-password"></label>
    <button type="submit" class="primary">Add</button>
  </form>
</section>`;
  return layout({ title: 'Users', section: 'users', viewer, body });
}
