// Conversion: placeholder until the module lands.
