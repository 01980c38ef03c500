import type { Page } from 'playwright-core';

/*
 * What a page must hold to on a phone, measured in the browser: nothing wider than the screen,
 * no word broken across lines, no button label on two lines, and every target one taps at least
 * 24 × 24 px (WCAG 2.5.8). Each list says what breaks its rule, so a failing test says where.
 */

export interface PhoneProblems {
  /** How far the page is wider than its viewport: 0 when nothing overflows. */
  overflow: number;
  /** Letters and digits wrapped onto two lines: "broa|d". An id may wrap at its separators, and <pre> output as it must. */
  brokenWords: string[];
  /** A link within a sentence is exempt, as WCAG exempts it: its parent has text of its own around it. */
  smallTargets: string[];
  wrappedButtons: string[];
}

export function phoneProblems(page: Page): Promise<PhoneProblems> {
  return page.evaluate(() => {
    /** Lines a range covers: its boxes' tops, more than a few pixels apart. */
    const lines = (range: Range): number => {
      const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top).sort((a, b) => a - b);
      return tops.filter((top, i) => i === 0 || top - tops[i - 1]! > 4).length;
    };
    const brokenWords: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement?.closest('pre, textarea, script, style, svg, [hidden]') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (const match of text.matchAll(/[\p{L}\p{N}]{2,}/gu)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        if (lines(range) > 1) brokenWords.push(`${match[0]} in "${text.trim().slice(0, 60)}"`);
      }
    }
    const smallTargets: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('a, button, summary, select, input:not([type=hidden]), textarea')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const inSentence = el.tagName === 'A' && [...(el.parentElement?.childNodes ?? [])].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!inSentence && (box.width < 24 || box.height < 24)) smallTargets.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    const wrappedButtons = [...document.querySelectorAll<HTMLElement>('button, a.button')]
      .filter((el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return lines(range) > 1;
      })
      .map((el) => (el.textContent ?? '').trim());
    return { overflow: document.documentElement.scrollWidth - window.innerWidth, brokenWords, smallTargets, wrappedButtons };
  });
}
