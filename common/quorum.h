/* quorum.h: the one home of the BFT vote arithmetic.
 *
 * For n validators, wb_faulty(n) = f = floor((n-1)/3) may be faulty and
 * wb_quorum(n) = floor(2n/3) + 1 votes decide: 2f+1 when n = 3f+1, any two
 * quorums share at least f+1 validators (so an honest one) for every n, and
 * the n - f honest validators always make a quorum. For n = 0 the quorum is 1,
 * which no empty vote set reaches, and f is 0. Consensus, the certificate
 * check, the genesis summary and the node's sync target all count with these.
 */
#ifndef WB_COMMON_QUORUM_H
#define WB_COMMON_QUORUM_H

#include <stddef.h>

/* Votes needed to decide among n validators: floor(2n/3) + 1. */
size_t wb_quorum(size_t n);

/* Validators that may fail or lie among n: floor((n-1)/3), 0 for n = 0. */
size_t wb_faulty(size_t n);

#endif
