import type { QuerySpec } from '../parse.js';
import * as operations from './operations.js';
import * as sandboxEvents from './sandbox-events.js';
import * as shepherd from './shepherd.js';
import * as tasks from './tasks.js';

/**
 * Presets by name: each module exports its option schema (table and column
 * names, statuses, thresholds) and its queries; the table schema it expects is
 * described at its top.
 */
export const PRESETS = {
  shepherd,
  tasks,
  operations,
  sandbox_events: sandboxEvents,
} as const;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export interface PresetOptions {
  shepherd: shepherd.ShepherdOptions;
  tasks: tasks.TasksOptions;
  operations: operations.OperationsOptions;
  sandbox_events: sandboxEvents.SandboxEventsOptions;
}

export function presetQueries(name: PresetName, options: PresetOptions): QuerySpec[] {
  switch (name) {
    case 'shepherd':
      return shepherd.queries(options.shepherd);
    case 'tasks':
      return tasks.queries(options.tasks);
    case 'operations':
      return operations.queries(options.operations);
    case 'sandbox_events':
      return sandboxEvents.queries(options.sandbox_events);
  }
}
