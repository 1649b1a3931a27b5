"""Where a teacher's replies come from: openai_api (any OpenAI-compatible endpoint: hosted,
Ollama, vLLM, llama-server) and simulated (the offline stand-in, which reads each failure's hidden tag)."""
