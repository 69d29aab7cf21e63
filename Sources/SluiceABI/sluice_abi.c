/* The ABI target is header-only; SwiftPM needs one source file to build the module. */
#include "sluice_abi.h"
