/* core_int.h — private helpers shared by eval.c and names.c. */
#ifndef TRJ_CORE_INT_H
#define TRJ_CORE_INT_H

#include "trj.h"

/* A policy trj_load filled in. trj_load zeroes *p first, so a failed load (or a
 * zero-initialised trj_policy) reads as not loaded. */
static inline int trj_loaded(const trj_policy *p)
{
    return p != NULL && p->hdr != NULL && (const void *)p->hdr == (const void *)p->base;
}

#endif /* TRJ_CORE_INT_H */
