import { describe, expect, it } from 'vitest';
import { escapeHtml, renderTemplate, textToHtml } from './render.ts';

describe('renderTemplate', () => {
  it('inserts variables and leaves unknown ones empty', () => {
    expect(renderTemplate('Hi {{ name }}, {{missing}}!', { name: 'Ana' })).toBe('Hi Ana, !');
  });

  it('keeps a section only when its variable is set, and an inverted one only when it is not', () => {
    const t = '{{#code}}Code: {{code}}{{/code}}{{^code}}No code{{/code}}';
    expect(renderTemplate(t, { code: 'X1' })).toBe('Code: X1');
    expect(renderTemplate(t, { code: '' })).toBe('No code');
    expect(renderTemplate(t, {})).toBe('No code');
  });

  it('resolves nested sections of different names', () => {
    const t = '{{#a}}A{{#b}}B{{b}}{{/b}}{{/a}}';
    expect(renderTemplate(t, { a: 1, b: 2 })).toBe('AB2');
    expect(renderTemplate(t, { a: 1 })).toBe('A');
  });

  it('escapes inserted values, never the template, and never runs them as templates', () => {
    expect(renderTemplate('<b>{{x}}</b>', { x: '<i>{{y}}</i>', y: 'no' }, escapeHtml)).toBe(
      '<b>&lt;i&gt;{{y}}&lt;/i&gt;</b>',
    );
  });
});

describe('textToHtml', () => {
  it('escapes text and keeps paragraphs and line breaks', () => {
    expect(textToHtml('a & b\nc\n\n<d>')).toBe('<p>a &amp; b<br>\nc</p>\n<p>&lt;d&gt;</p>');
  });
});
