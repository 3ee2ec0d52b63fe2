/**
 * What every field of one schema form shares (issues by path, where the form's value sits in the
 * API's paths, test ids, per-field extras, disabled), and the props each field is drawn with.
 */
import { createContext, type ReactNode } from 'react';
import type { FieldSpec } from './json-schema.ts';

/** Extra help for one field, e.g. model names to suggest for the chosen provider. */
export interface FieldExtras {
  suggestions?: string[];
  hint?: ReactNode;
}

/** Extra help for the field at `path`, given the value that holds it. */
export type FormExtras = (path: string, parent: unknown) => FieldExtras | undefined;

export interface FormContextValue {
  issues: Map<string, string[]>;
  rootPath: string;
  testIdPrefix: string;
  extras: FormExtras | undefined;
  disabled: boolean;
}

export const FormContext = createContext<FormContextValue>({
  issues: new Map(),
  rootPath: '',
  testIdPrefix: 'field',
  extras: undefined,
  disabled: false,
});

export interface FieldProps {
  spec: FieldSpec;
  name: string;
  label: string;
  required: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
  path: string;
  parent: unknown;
}
