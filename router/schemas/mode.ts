// Schemas of the mode routes (GET/POST /v1/mode).
import { Type } from '@sinclair/typebox';

const ModeName = Type.Union([Type.Literal('observe'), Type.Literal('enforce')], {
  description: 'observe: plan and report, change nothing on VMs or cgroups; enforce: act on the plan',
});

export const ModeBody = Type.Object(
  {
    mode: ModeName,
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'why, kept in the audit record' })),
  },
  { additionalProperties: false },
);

const ClassReadinessView = Type.Object(
  {
    class: Type.String(),
    historyDays: Type.Number({ description: "days of the class's own history in the store" }),
    neededDays: Type.Number({ description: 'partitioner.readyAfterDays' }),
    model: Type.Union([Type.String(), Type.Null()], { description: "the model serving the class's forecast; null: no trained model covers it" }),
    modelRunId: Type.Union([Type.Integer(), Type.Null()]),
    missing: Type.Array(Type.String(), { description: 'the evidence still missing before enforce makes sense; empty when ready' }),
    ready: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const ModeView = Type.Object(
  {
    mode: ModeName,
    source: Type.Union([Type.Literal('config'), Type.Literal('api')], { description: "config: the config's mode key; api: an admin's switch, which holds until that key changes" }),
    configMode: ModeName,
    by: Type.String({ description: "'config' or the admin credential that switched it" }),
    since: Type.Number({ description: 'unix seconds of the switch' }),
    changed: Type.Optional(Type.Boolean({ description: 'POST: whether this call changed the mode' })),
    classes: Type.Array(ClassReadinessView),
    wouldDo: Type.Union(
      [Type.Object({ at: Type.Number(), actions: Type.Array(Type.Object({}, { additionalProperties: true })) }, { additionalProperties: false }), Type.Null()],
      { description: "observe mode: the auto-scaler's last tick, not carried out" },
    ),
  },
  { additionalProperties: false },
);
