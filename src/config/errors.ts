import type { ZodError } from "zod";

/** One line per problem, each naming the field: "queues.0.agents: expected number, got string". */
export function formatZodError(err: ZodError): string {
  return err.issues
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
