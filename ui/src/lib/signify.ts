// The service form ("Formulaire de signification"): what must be filled before "Signifier".

import { REFERENCE_MAX, REQUERANT_MAX } from "../generated/bindings";
import { validatePin } from "./pin";
import type { DocumentRef, ReceptionStatus, Recipient } from "./types";

// The limits come from the rule the application applies (`sceau_core::draft`, generated).
export { REFERENCE_MAX, REQUERANT_MAX };

/** French message if the deposit reference cannot be used, else null. */
export function validateReference(reference: string): string | null {
  const r = reference.trim();
  if (r === "") return "Saisissez votre référence de dépôt : elle est obligatoire et figure dans le nom des fichiers.";
  const chars = [...r].length; // characters, as the application counts them (not UTF-16 units)
  if (chars > REFERENCE_MAX) {
    return `La référence de dépôt comporte ${chars} caractères ; ${REFERENCE_MAX} au plus sont acceptés. Raccourcissez-la.`;
  }
  if (/\p{Cc}/u.test(r)) return "La référence de dépôt contient un caractère de contrôle. Saisissez-la de nouveau.";
  return null;
}

/** French message if the requesting party cannot be used, else null. */
export function validateRequerant(requerant: string): string | null {
  const r = requerant.trim();
  if (r === "") {
    return "Saisissez le requérant (la personne à la requête de laquelle l'acte est signifié) : il figure sur la lettre simple.";
  }
  const chars = [...r].length;
  if (chars > REQUERANT_MAX) return `Le nom du requérant comporte ${chars} caractères ; ${REQUERANT_MAX} au plus sont acceptés.`;
  if (/\p{Cc}/u.test(r)) return "Le nom du requérant contient un caractère de contrôle. Saisissez-le de nouveau.";
  return null;
}

/** What the form holds when "Signifier" is pressed. */
export interface SignifyForm {
  /** Deposit reference. */
  reference: string;
  /** Requesting party (on whose behalf the act is served). */
  requerant: string;
  /** Chosen recipient. */
  recipient: Recipient | null;
  /** Chosen nature code ("" = none). */
  nature: string;
  /** Reception status for the recipient and nature, once asked. */
  reception: ReceptionStatus | null;
  /** Acts. */
  documents: DocumentRef[];
  /** Signature certificate serial ("" = none). */
  signatureCertificate: string;
  /** Authentication certificate serial ("" = none). */
  authenticationCertificate: string;
  /** Signature PIN. */
  pin: string;
  /** Reference of a judge's permission (only used outside legal hours). */
  judgePermission?: string;
  /** Deposit at the next opening instead of now. */
  schedule?: boolean;
}

/** Whether the deposit can be scheduled for the next opening (closed now, opening known). */
export function canSchedule(reception: ReceptionStatus | null): boolean {
  return reception !== null && !reception.open && reception.next_opening !== null;
}

/** Whether the refusal is one a judge's permission lifts (legal hours, CPC 664). */
export function judgeMayPermit(reception: ReceptionStatus | null): boolean {
  return reception !== null && !reception.open && reception.reason === "legal_hours";
}

/** A problem of the form: the field it concerns (its element id) and the French message. */
export interface FormProblem {
  /** Id of the field to go to. */
  field: string;
  /** What is wrong and what to do. */
  message: string;
}

/** The ids of the form's fields, in the order of the form. */
export const FIELDS = {
  reference: "sig-reference",
  requerant: "sig-requerant",
  recipient: "rs-query",
  nature: "sig-nature",
  judge: "sig-judge",
  documents: "doc-add",
  signatureCertificate: "sig-cert",
  authenticationCertificate: "auth-cert",
  pin: "sig-pin",
} as const;

/** Every problem of the form, in its order, each with its field; empty when ready. */
export function signifyProblems(form: SignifyForm): FormProblem[] {
  const out: FormProblem[] = [];
  const push = (field: string, message: string | null) => {
    if (message) out.push({ field, message });
  };
  push(FIELDS.reference, validateReference(form.reference));
  push(FIELDS.requerant, validateRequerant(form.requerant));
  if (!form.recipient) {
    push(FIELDS.recipient, "Choisissez un destinataire : recherchez-le par SIRET, nom ou n° INSEE, puis cliquez sur son nom.");
  }
  if (form.nature === "") push(FIELDS.nature, "Sélectionnez la nature de l'acte à signifier.");
  else if (form.reception && !form.reception.open && !(form.schedule && canSchedule(form.reception))) {
    if (!judgeMayPermit(form.reception)) {
      push(FIELDS.nature, form.reception.message ?? "Le destinataire ne reçoit pas cette nature d'acte en ce moment.");
    } else if ((form.judgePermission ?? "").trim() === "") {
      push(
        FIELDS.judge,
        (form.reception.message ?? "La signification est hors des heures légales.") +
          " Pour signifier maintenant, saisissez la référence de l'autorisation du juge.",
      );
    }
  }
  if (form.documents.length === 0) push(FIELDS.documents, "Ajoutez au moins un acte à signifier (.pdf, .doc, .docx ou .odt).");
  if (form.signatureCertificate === "") {
    push(
      FIELDS.signatureCertificate,
      "Aucun certificat de signature n'est sélectionné : branchez votre clé puis cliquez sur « Recharger les certificats ».",
    );
  }
  if (form.authenticationCertificate === "") {
    push(
      FIELDS.authenticationCertificate,
      "Aucun certificat d'authentification n'est sélectionné : branchez votre clé puis cliquez sur « Recharger les certificats ».",
    );
  }
  push(FIELDS.pin, validatePin(form.pin));
  return out;
}

/** Every French message of what is missing, in the order of the form; empty when ready. */
export function signifyErrors(form: SignifyForm): string[] {
  return signifyProblems(form).map((p) => p.message);
}
