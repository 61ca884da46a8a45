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

type ContactChanges = components["schemas"]["ContactChanges"];
type DealView = components["schemas"]["DealView"];

// A change set: absent keeps, `null` clears.
export async function renameContact(id: string, first: string): Promise<string | undefined> {
  const changes: ContactChanges = { first_name: first, job_title: null };
  const { data } = await api.PATCH("/v1/contacts/{id}", { params: { path: { id } }, body: changes });
  return data?.data.full_name;
}

// Query parameters are typed, and a move answers the deal or its approval.
export async function openDealsOf(owner: string): Promise<DealView[]> {
  const { data } = await api.GET("/v1/deals", { params: { query: { owner, status: "open", limit: 50 } } });
  return data?.data ?? [];
}

export async function moveDeal(id: string, stageId: string): Promise<number | undefined> {
  const { data } = await api.POST("/v1/deals/{id}/move-stage", { params: { path: { id } }, body: { stage_id: stageId } });
  const moved = data?.data;
  if (moved && "approval_request" in moved) {
    return moved.deal.value;
  }
  return moved?.value;
}

// @ts-expect-error: `owner_user_id` is an id, not a number
const badChanges: ContactChanges = { owner_user_id: 7 };
void badChanges;
