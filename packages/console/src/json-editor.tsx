import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { jsonSchema } from 'codemirror-json-schema';
import { useEffect, useRef } from 'react';

/**
 * A JSON editor (CodeMirror 6) that knows the published rules schema: completion, hover help and
 * schema errors as you type. `value` from outside replaces the text; edits call `onChange`.
 */
export function JsonEditor(props: {
  value: string;
  onChange: (text: string) => void;
  schema: object | undefined;
  label: string;
  readOnly?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is built once per schema; value updates are dispatched below
  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      doc: props.value,
      extensions: [
        basicSetup,
        json(),
        ...(props.schema
          ? [jsonSchema(props.schema as Parameters<typeof jsonSchema>[0])]
          : [linter(jsonParseLinter())]),
        lintGutter(),
        EditorView.contentAttributes.of({ 'aria-label': props.label }),
        EditorView.editable.of(!props.readOnly),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange.current(u.state.doc.toString());
        }),
      ],
    });
    view.current = v;
    return () => v.destroy();
  }, [props.schema, props.readOnly, props.label]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const current = v.state.doc.toString();
    if (current !== props.value)
      v.dispatch({ changes: { from: 0, to: current.length, insert: props.value } });
  }, [props.value]);

  return <div ref={host} className="json-editor" />;
}
