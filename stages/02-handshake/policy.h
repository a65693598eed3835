/*
 * policy — a server's handshake policy from its command-line options.
 *
 * Every WebSocket server of the kit takes the same two options: --origin
 * ("same", "*", or a comma-separated list of allowed origins) and
 * --protocol (the subprotocols it speaks, most preferred first). This turns
 * them into a struct handshake_config, once, for all of them.
 *
 * Given code.
 */
#ifndef WSLAB_POLICY_H
#define WSLAB_POLICY_H

#include <stdbool.h>

#include "handshake.h"

/* Fills hs from the option values: origin "same" allows only the server's
 * own pages, "*" any origin, anything else is the list of allowed origins;
 * protocol is a comma-separated list ("" for none). Returns 0, or -1 if
 * memory runs out. Free with policy_free. */
int policy_init(struct handshake_config *hs, const char *origin, const char *protocol,
                bool require_origin);

/* Frees the lists policy_init made. */
void policy_free(struct handshake_config *hs);

#endif
