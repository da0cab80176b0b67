#ifndef HUBKIT_CZSTD_SHIM_H
#define HUBKIT_CZSTD_SHIM_H
#include <zstd.h>
#endif
