"""Where a teacher's replies come from: openai_api (any OpenAI-compatible endpoint: hosted,
Ollama, vLLM, llama-server), simulated (the offline stand-in, which reads each failure's hidden tag)
and replay (a recorded run's replies read back offline, and nothing else)."""
