// Quantization: placeholder until the module lands.
