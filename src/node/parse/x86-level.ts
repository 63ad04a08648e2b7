// Discovery computes x86-64 levels with the same rules selection uses; the rules live in the pure
// compat layer so that selection can check a profile's claimed variant against its flags.
export { isLevelFlag, levelFlags, x86Level } from "../../compat/x86-level.js";
