#include "common/quorum.h"

/* floor(2n/3) + 1 rather than 2f+1: for n not of the form 3f+1 (5 or 6
 * validators, say), 2f+1 would let two disjoint-enough quorums decide
 * different blocks; floor(2n/3) + 1 keeps any two quorums overlapping in
 * f+1 validators for every n. */
size_t wb_quorum(size_t n) { return 2 * n / 3 + 1; }

size_t wb_faulty(size_t n) { return n == 0 ? 0 : (n - 1) / 3; }
