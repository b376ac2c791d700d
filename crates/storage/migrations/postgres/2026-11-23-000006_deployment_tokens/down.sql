DROP TABLE deployment_tokens;
