// PIN rules on screen: the PIN is checked for presence and length only (the token decides),
// and the tries left are said before a risky attempt.

import type { PinState } from "./types";

/** Shortest PIN the keys we support accept. */
export const PIN_MIN = 4;
/** Longest PIN accepted (PKCS#11 tokens rarely allow more). */
export const PIN_MAX = 64;

/** French message if the PIN cannot be sent as typed, else null. */
export function validatePin(pin: string): string | null {
  if (pin.length === 0) return "Saisissez le code PIN de votre clé.";
  if (pin.length < PIN_MIN) return `Le code PIN comporte au moins ${PIN_MIN} caractères. Vérifiez votre saisie.`;
  if (pin.length > PIN_MAX) return `Le code PIN comporte au plus ${PIN_MAX} caractères. Vérifiez votre saisie.`;
  return null;
}

/** What to tell the user about the PIN state, or null when nothing is at risk. */
export function pinWarning(state: PinState): string | null {
  if (state.locked) {
    return (
      "Le code PIN de cette clé est bloqué. Débloquez-le avec le code PUK fourni par votre " +
      "autorité de certification, puis réessayez."
    );
  }
  if (state.final_try) {
    return (
      "Attention : il ne reste qu'un seul essai. Un code PIN erroné bloquera définitivement la clé. " +
      "Cochez la confirmation pour continuer."
    );
  }
  if (state.count_low) {
    const n = state.tries_left;
    return n !== null
      ? `Un code PIN erroné a déjà été saisi sur cette clé : il reste ${n} essai${n > 1 ? "s" : ""}. Vérifiez votre saisie avant de valider.`
      : "Un code PIN erroné a déjà été saisi sur cette clé : vérifiez votre saisie avant de valider.";
  }
  return null;
}

/** Whether a login may be attempted with this state and confirmation. */
export function canAttempt(state: PinState, confirmedFinalTry: boolean): boolean {
  if (state.locked) return false;
  if (state.final_try && !confirmedFinalTry) return false;
  return true;
}
