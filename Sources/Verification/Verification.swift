// Verification: placeholder until the module lands.
import CZstd
