// The demo buyer's private data: requests an assistant agent receives, labelled with the action
// ("intent") they ask for. It is what a buyer would fine-tune a small model's head on to route an
// agent's requests, and it is generated from templates with a seeded PRNG so every run of the demo,
// the benchmark and the tests sees the same texts.
import type { LabeledText } from "../../enclave-runner/runner/dataset.ts";
import { seededRandom } from "./syntheticTask.ts";

/** The intents, in label order. */
export const INTENTS = [
  "calendar.create",
  "email.send",
  "weather.query",
  "music.play",
  "timer.set",
  "shopping.add",
  "travel.book",
  "reminder.create",
  "home.lights",
  "finance.balance",
] as const;

const SLOTS: Record<string, readonly string[]> = {
  name: ["Alice", "Bob", "Carol", "Dmitri", "Erin", "Farah", "Grace", "Hugo"],
  day: ["today", "tomorrow", "on Monday", "on Friday", "next week", "this weekend"],
  time: ["9am", "noon", "3pm", "half past four", "6:30"],
  thing: ["invoice", "quarterly report", "trip", "contract", "party"],
  city: ["Paris", "Lagos", "Osaka", "Lima", "Oslo", "Austin", "Cairo"],
  genre: ["jazz", "rock", "classical", "lo-fi", "salsa", "techno"],
  n: ["5", "10", "15", "25", "40"],
  item: ["milk", "eggs", "coffee beans", "batteries", "rice", "apples"],
  task: ["call mom", "water the plants", "pay rent", "renew my passport", "book the dentist"],
  room: ["kitchen", "bedroom", "living room", "garage", "office"],
  account: ["checking", "savings", "credit card", "joint"],
};

const TEMPLATES: readonly (readonly string[])[] = [
  [
    "schedule a meeting with {name} {day} at {time}",
    "put lunch with {name} in my calendar {day}",
    "book {time} {day} for a call with {name}",
  ],
  [
    "send an email to {name} about the {thing}",
    "email {name} the {thing}",
    "write to {name} regarding the {thing}",
  ],
  ["what is the weather in {city} {day}", "will it rain in {city} {day}?", "how hot is it in {city}"],
  ["play some {genre} music", "put on {genre}", "I want to hear {genre} now"],
  ["set a timer for {n} minutes", "start a {n} minute countdown", "timer {n} min please"],
  [
    "add {item} to my shopping list",
    "we are out of {item}, add it to the list",
    "put {item} on the groceries",
  ],
  [
    "book a flight from {city} to {city}",
    "find me a ticket to {city} {day}",
    "I need to fly to {city} {day}",
  ],
  ["remind me to {task} {day}", "don't let me forget to {task}", "set a reminder: {task} {day}"],
  ["turn off the lights in the {room}", "switch on the {room} lights", "dim the lights in the {room}"],
  [
    "what is my balance on the {account} account",
    "how much money is in my {account} account",
    "show the {account} balance",
  ],
];

/**
 * `count` labelled requests over the first `classes` intents (labels uniform), from `seed`.
 * `marker`, when given, is inserted into every text (the secrets test looks for it everywhere).
 */
export function intentRows(count: number, classes: number, seed: number, marker?: string): LabeledText[] {
  if (classes < 2 || classes > INTENTS.length)
    throw new Error(`intentRows: classes must be 2..${INTENTS.length}`);
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, () => {
    const label = Math.floor(random() * classes);
    let text = pick(TEMPLATES[label] as readonly string[]).replace(/\{(\w+)\}/g, (_m, slot: string) =>
      pick(SLOTS[slot] as readonly string[]),
    );
    if (marker !== undefined) text = `${text} ${marker}`;
    return { text, label };
  });
}
