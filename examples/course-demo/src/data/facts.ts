/**
 * The generated instruction, preference and multiple-choice data of stages 3 and 6: facts about
 * the people and things of Moby Dick, asked with several question templates. Some templates are
 * held out of training so the evaluation asks questions phrased in a way the model never saw.
 */
export interface Fact {
  subject: string;
  role: string;
}

export const FACTS: Fact[] = [
  { subject: 'Ahab', role: 'the captain of the Pequod' },
  { subject: 'Ishmael', role: 'the narrator of the story' },
  { subject: 'Starbuck', role: 'the first mate of the Pequod' },
  { subject: 'Stubb', role: 'the second mate of the Pequod' },
  { subject: 'Flask', role: 'the third mate of the Pequod' },
  { subject: 'Queequeg', role: 'a harpooneer from the South Seas' },
  { subject: 'Tashtego', role: 'a harpooneer from Gay Head' },
  { subject: 'Daggoo', role: 'a harpooneer from Africa' },
  { subject: 'Moby Dick', role: 'the white whale' },
  { subject: 'The Pequod', role: 'a whaling ship from Nantucket' },
  { subject: 'Fedallah', role: 'the harpooneer of Ahab\u2019s boat' },
  { subject: 'Father Mapple', role: 'the preacher of the Whaleman\u2019s Chapel' },
];

export const TRAIN_TEMPLATES = ['Who is {s}?', 'Tell me who {s} is.', 'What do you know about {s}?', 'Describe {s} in one sentence.'];
export const HELD_OUT_TEMPLATES = ['In Moby Dick, who is {s}?', 'Please say who {s} is.'];

function ask(template: string, subject: string): string {
  return template.replace('{s}', subject);
}

export function answerOf(fact: Fact): string {
  return `${fact.subject} is ${fact.role}.`;
}

/** Prompt-completion SFT records (TRL's prompt/completion format). */
export function sftRecords(): Array<{ prompt: string; completion: string }> {
  return FACTS.flatMap((f) => TRAIN_TEMPLATES.map((t) => ({ prompt: `Q: ${ask(t, f.subject)}\nA:`, completion: ` ${answerOf(f)}` })));
}

/** Held-out questions with reference answers (generation metrics: BLEU / ROUGE). */
export function heldOutQa(): Array<{ prompt: string; reference: string }> {
  return FACTS.flatMap((f) => HELD_OUT_TEMPLATES.map((t) => ({ prompt: `Q: ${ask(t, f.subject)}\nA:`, reference: answerOf(f) })));
}

/** Preference pairs: the right role is chosen, another character's role is rejected. */
export function preferencePairs(): Array<{ prompt: string; chosen: string; rejected: string }> {
  return FACTS.flatMap((f, i) =>
    TRAIN_TEMPLATES.slice(0, 2).map((t, j) => {
      const wrong = FACTS[(i + 1 + j * 5) % FACTS.length]!;
      return { prompt: `Q: ${ask(t, f.subject)}\nA:`, chosen: ` ${answerOf(f)}`, rejected: ` ${f.subject} is ${wrong.role}.` };
    }),
  );
}

/** Multiple-choice documents (lm-eval layout): the question, four roles, the index of the right one. */
export function multipleChoiceDocs(): Array<{ question: string; choices: string[]; label: number; template: string }> {
  return FACTS.flatMap((f, i) =>
    [...TRAIN_TEMPLATES.slice(0, 1), ...HELD_OUT_TEMPLATES].map((t, j) => {
      const others = [1, 4, 7].map((d) => FACTS[(i + d + j) % FACTS.length]!.role);
      const label = (i + j) % 4;
      const choices = [...others];
      choices.splice(label, 0, f.role);
      return { question: `Q: ${ask(t, f.subject)}\nA: ${f.subject} is`, choices: choices.map((c) => `${c}.`), label, template: j === 0 ? 'seen' : 'held-out' };
    }),
  );
}
