/**
 * Notebook sizes: every example notebook trains at one of three sizes, chosen by the environment
 * variable LEMOL_NOTEBOOK_SIZE (CI sets `small`) or the notebook's own default.
 */
export const NOTEBOOK_SIZES = ["small", "medium", "full"] as const;
export type NotebookSize = (typeof NOTEBOOK_SIZES)[number];

/**
 * The settings for the size in `LEMOL_NOTEBOOK_SIZE` (else `fallback`), and that size. An unknown
 * size is an error naming the valid ones.
 */
export function sizedOptions<T>(sizes: Record<NotebookSize, T>, fallback: NotebookSize = "medium"): { size: NotebookSize; options: T } {
  const requested = process.env.LEMOL_NOTEBOOK_SIZE?.trim() || fallback;
  if (!(NOTEBOOK_SIZES as readonly string[]).includes(requested)) {
    throw new Error(`LEMOL_NOTEBOOK_SIZE must be one of ${NOTEBOOK_SIZES.join(", ")} (got "${requested}")`);
  }
  const size = requested as NotebookSize;
  return { size, options: sizes[size] };
}
