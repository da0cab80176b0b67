// GGUF: placeholder until the module lands.
