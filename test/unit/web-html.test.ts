import { describe, expect, it } from 'vitest';
import { escapeHtml, html, path, trusted } from '../../web/html.ts';

describe('html``', () => {
  it('escapes every interpolation, in text and in attributes', () => {
    const name = `<script>alert("x")</script>' onmouseover='y' \``;
    const out = html`<p title="${name}">${name}</p>`.value;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &#96;</p>',
    );
    expect(out).not.toContain('<script>');
  });

  it('does not escape markup twice when one template nests another', () => {
    const inner = html`<b>${'a & b'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>a &amp; b</b></p>');
  });

  it('escapes each item of a list, joined without separators', () => {
    expect(html`<ul>${['<i>', 'ok'].map((s) => html`<li>${s}</li>`)}</ul>`.value).toBe('<ul><li>&lt;i&gt;</li><li>ok</li></ul>');
    expect(html`${['<', '>']}`.value).toBe('&lt;&gt;');
  });

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    expect(html`[${null}${undefined}${false}${0}${1.5}]`.value).toBe('[01.5]');
  });

  it('leaves only trusted() markup unescaped', () => {
    expect(html`${trusted('<br>')}${'<br>'}`.value).toBe('<br>&lt;br&gt;');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});

describe('path``', () => {
  it('makes each interpolation exactly one path segment', () => {
    expect(path`/rollouts/${'../users'}/live`).toBe('/rollouts/..%2Fusers/live');
    expect(path`/lab-runs/${'a?b#c'}/screenshots/${3}`).toBe('/lab-runs/a%3Fb%23c/screenshots/3');
  });
});
