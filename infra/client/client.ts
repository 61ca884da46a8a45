// Code a frontend would write against the generated client. `tsc` fails when
// the contract loses what it relies on: typed bodies, typed replies, the
// operations' parameters.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema";

type Note = components["schemas"]["Note"];
type NewNote = components["schemas"]["CreateNoteRequest"];

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:3000" });

export async function noteOnContact(contactId: string, text: string): Promise<Note | undefined> {
  const body: NewNote = { body: text, subject: { type: "contact", id: contactId } };
  const { data, error } = await api.POST("/v1/notes", {
    body,
    params: { header: { "Idempotency-Key": `note-${contactId}` } },
  });
  if (error) {
    // The error envelope is typed too.
    console.error(error.error.code, error.error.message);
    return undefined;
  }
  const note: Note = data.data;
  const version: number = note.version;
  const author: string = note.author_user_id;
  console.log(version, author, note.created_at);
  return note;
}

export async function firstNote(id: string): Promise<string | undefined> {
  const { data } = await api.GET("/v1/notes/{id}", { params: { path: { id } } });
  return data?.data.body;
}

export async function noteCount(): Promise<number> {
  const { data } = await api.GET("/v1/notes");
  const notes: Note[] = data?.data ?? [];
  return notes.length;
}

// @ts-expect-error: a note's body is text, not a number
const wrong: NewNote = { body: 42 };
void wrong;
